# overrides: hold=5 flag=4K vmas=-1 strategy=4
param hold = 20us
param flag = true
sweep vmas = [1, 2]
