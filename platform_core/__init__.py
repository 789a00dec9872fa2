"""Interactive Learning Platform: domain logic."""
