process p { exit }
