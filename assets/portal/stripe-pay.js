// The card form of the Stripe adapter: Stripe's card element takes the card in Stripe's own
// frame, Stripe.js makes a PaymentMethod of it, and only its id is posted to the service.
(function () {
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(form.getAttribute("data-key"));
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  form.addEventListener("submit", function (event) {
    if (document.getElementById("payment-method").value) { return; }
    event.preventDefault();
    stripe.createPaymentMethod({ type: "card", card: card }).then(function (result) {
      if (result && result.paymentMethod) {
        document.getElementById("payment-method").value = result.paymentMethod.id;
        form.submit();
      } else {
        document.getElementById("card-error").textContent = (result && result.error && result.error.message) || "";
      }
    });
  });
})();
