/** HTML fragments of the catalog domain. */
import { type Html, html, type Row } from "planck";
import type { Product } from "../models.ts";

export function productItem(product: Row<Product>): Html {
  return html`<li id="product-${product.key}">
  <span class="name">${product.name}</span> <span class="price">${product.price.toFixed(2)}</span>
  <span class="stock">${product.stock} in stock</span>
  <button hx-post="/orders" hx-vals='{"product":"${product.key}"}' hx-target="#orders" hx-swap="afterbegin">
    order one
  </button>
</li>`;
}

export function productList(products: Row<Product>[]): Html {
  return html`<ul id="products">${products.map(productItem)}</ul>`;
}

export function productForm(): Html {
  return html`<form hx-post="/products" hx-target="#products" hx-swap="beforeend" hx-on::after-request="this.reset()">
  <input name="name" placeholder="Product" required>
  <input name="price" type="number" step="0.01" min="0" value="1">
  <input name="stock" type="number" min="0" value="10">
  <button>Add product</button>
</form>`;
}
