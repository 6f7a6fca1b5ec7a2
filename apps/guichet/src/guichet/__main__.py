from guichet.cli import app

app()
