from django.apps import AppConfig


class BooksConfig(AppConfig):
    name = "digipay.books"
    label = "books"
    verbose_name = "Pembukuan"
