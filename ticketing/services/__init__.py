"""Domain services: each rule has one home here, and every front end calls these."""
