"""Attribution of conversions to channels from customer journeys (ATTRIBUTION.md)."""
