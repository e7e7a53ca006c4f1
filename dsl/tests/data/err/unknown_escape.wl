file "a\nb" size 1M
