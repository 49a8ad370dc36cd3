package controlplane

// OperationRoutes lists the name, method and path pattern of every
// operation the VPC Lattice API routes, for tests.
func OperationRoutes() [][3]string {
	out := make([][3]string, len(operations))
	for i, op := range operations {
		out[i] = [3]string{op.Name, op.Method, op.Path}
	}
	return out
}
