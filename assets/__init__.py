"""Data files: stylesheets, the recipe, the knowledge base, the demo host."""
