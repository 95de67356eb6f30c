// The operators' sign-in: posts the admin token to /ops/login, which answers with an
// HttpOnly session cookie. A link of the form /ops#token=… signs in at once; the token
// is taken out of the address bar before anything else happens.
const form = document.getElementById('login');
const error = document.getElementById('error');

async function signIn(token) {
  error.hidden = true;
  const res = await fetch('/ops/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
    credentials: 'same-origin',
  });
  if (res.ok) {
    location.replace('/ops');
    return;
  }
  error.textContent = res.status === 401 ? 'That token is not right.' : `Sign-in failed (${res.status}).`;
  error.hidden = false;
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  signIn(form.elements.token.value);
});

const m = /^#token=(.+)$/.exec(location.hash);
if (m) {
  history.replaceState(null, '', location.pathname);
  signIn(decodeURIComponent(m[1]));
}
