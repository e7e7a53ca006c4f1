workload "bom"
process p { exit }
