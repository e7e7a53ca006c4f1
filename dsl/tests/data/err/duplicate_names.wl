file "a" size 1M
file "a" size 2M
driver kvm { callback 1us }
driver kvm { callback 2us }
process p { exit }
process p { exit }
param n = 4
sweep n = [1, 2]
