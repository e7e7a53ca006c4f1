sweep vmas = [1, 2]
expect register.ok == 1 when vmas == 1us
expect register.ok[vmas=4K, vmas=2] == 1
expect register.ok[strategy=bad] == 1
expect register.ok > 1zz
