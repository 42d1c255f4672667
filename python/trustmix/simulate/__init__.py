"""World simulator with ground truth."""
