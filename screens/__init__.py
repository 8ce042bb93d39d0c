"""The wizard's screens: one module a stage, plus the widgets they share."""
