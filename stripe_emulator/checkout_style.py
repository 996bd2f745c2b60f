"""The hosted checkout page's look: a summary column and a payment card, like Stripe Checkout.

One column under 720 px wide (phones: the page is readable and tappable at 390 px), two beside
each other above. System fonts only: the page loads nothing from anywhere.
"""

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;color:#1a1f36;background:#f6f9fc}
main{max-width:920px;margin:0 auto;padding:24px 16px;display:grid;gap:24px}
@media (min-width:720px){main{grid-template-columns:1fr 1fr;padding:64px 32px;gap:64px}}
.merchant{display:flex;align-items:center;gap:8px;font-weight:600;color:#3c4257}
.badge{font-size:12px;font-weight:600;color:#a04100;background:#ffde92;border-radius:4px;
padding:1px 6px;text-transform:uppercase}
.total{font-size:36px;font-weight:600;margin:8px 0 16px}
.items{list-style:none;margin:0;padding:0}
.items li{display:flex;justify-content:space-between;gap:16px;padding:12px 0;
border-bottom:1px solid #e3e8ee}
.items small{display:block;color:#697386}
.card{background:#fff;border-radius:8px;padding:24px;
box-shadow:0 2px 5px rgba(60,66,87,.08),0 1px 1px rgba(0,0,0,.12)}
h1{font-size:20px;margin:0 0 16px}
label{display:block;font-size:14px;color:#3c4257;margin:12px 0 4px}
input{width:100%;font:inherit;padding:10px 12px;border:1px solid #d5dbe1;border-radius:6px;
background:#f7fafc;color:#3c4257}
button{width:100%;font:inherit;font-weight:600;padding:12px;border-radius:6px;cursor:pointer;
margin-top:16px;min-height:48px}
.pay{background:#635bff;color:#fff;border:0}
.pay:hover{background:#5851ea}
.secondary{background:#fff;color:#3c4257;border:1px solid #d5dbe1}
.back{background:none;border:0;color:#635bff;padding:0;margin:0 0 16px;width:auto;
min-height:32px;text-align:left}
.notice{background:#fff1f1;color:#b3093c;border:1px solid #fdb6c5;border-radius:6px;
padding:10px 12px;margin:0 0 16px}
.done{color:#0b7a4b;font-weight:600}
.hint{font-size:13px;color:#697386;margin-top:16px}
"""
