"""Annual attestations: no incentives for UM decision makers; committee confidentiality and conflicts."""
