"""Channel adapters: each turns its messenger's input into Incoming and renders Reply."""
