"""Server-wide state kept in the database: secrets shared by every replica."""
