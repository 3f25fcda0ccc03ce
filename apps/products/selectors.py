from .models import Product


def product_list_active():
    return Product.objects.filter(is_active=True)
