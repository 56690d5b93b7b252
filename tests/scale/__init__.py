"""Scale tests: several replicas of a service sharing one stream."""
