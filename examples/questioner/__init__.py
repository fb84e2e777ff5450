"""The dynamic registration form: a complete, safe form application to copy."""
