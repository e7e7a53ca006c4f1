sweep t = [1us, 4K]
