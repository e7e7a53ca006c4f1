# overrides: layout=maps/small.maps
param layout = "maps/tiny.maps"
process vm { mmap maps $layout }
