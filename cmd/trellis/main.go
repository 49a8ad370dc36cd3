// Command trellis is zero-trust service-to-service access control.
package main

func main() {}
