"""Bundled data: dinos.txt, dinosaur genus names, one per line, lower case."""
