"""The smallest webkit application: the README's example."""
