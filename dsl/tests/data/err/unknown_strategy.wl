seed 1
strategy mm_lok
