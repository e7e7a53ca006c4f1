process Rank { exit }
