machine {
  cpu 8
  memory 16G
}
