"""拼团: teams, their members' slots, and the public group-buy page with its cache."""
