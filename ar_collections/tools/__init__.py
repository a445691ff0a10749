from . import demo_book
