"""Record linkage core (比对): pure functions over plain data, no Django imports."""
