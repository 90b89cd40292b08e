"""calicoctl's views, printed as calicoctl prints them."""
