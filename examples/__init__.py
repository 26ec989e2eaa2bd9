"""Example applications; a package so servers can import `examples.helloworld:api`."""
