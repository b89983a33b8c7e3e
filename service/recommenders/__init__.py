"""The recommendation strategies; each implements `service.recommendation.Recommender`."""
