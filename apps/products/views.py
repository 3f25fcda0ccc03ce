from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.permissions import area_view

from .forms import ProductForm
from .models import Product


@area_view("products.view_product")
def product_list(request):
    return render(request, "products/product_list.html", {"products": Product.objects.all()})


@area_view("products.add_product")
def product_create(request):
    return _edit(request, Product())


@area_view("products.change_product")
def product_edit(request, pk: int):
    return _edit(request, get_object_or_404(Product, pk=pk))


def _edit(request, product):
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("产品“%(n)s”已保存。") % {"n": form.instance.name})
        return redirect("platform:product_list")
    return render(request, "products/product_form.html", {"form": form, "product": product})
