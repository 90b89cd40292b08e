"""Capacity planning: one design sized, designs compared, grids swept on Dask."""
