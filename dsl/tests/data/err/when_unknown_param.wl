sweep vmas = [1, 2]
expect register.failed == 0 when vmsa == 1
expect register.failed == 0 when strategy == mm_lok
