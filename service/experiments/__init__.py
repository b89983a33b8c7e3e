"""A/B testing: routing users to variants, counting outcomes, the report's statistics."""
