"""The REST door: the HPI API over the domain core."""
