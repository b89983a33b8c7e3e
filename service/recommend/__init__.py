"""The recommendation strategies; each implements `service.recommend.base.Recommender`."""
