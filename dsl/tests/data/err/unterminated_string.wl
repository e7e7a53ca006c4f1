file "libc.so size 2M
seed 2
file "ok" size 1M
