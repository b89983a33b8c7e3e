"""Offline side of shoprec: load CSVs, compute vectors, write Redis.

Public pieces the service reads: `settings` (configuration), `redis_layout` (key names),
`index_schema` (the RediSearch schema) and `catalog_meta` (the live-version metadata).
"""
