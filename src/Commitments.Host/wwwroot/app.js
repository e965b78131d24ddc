// What the pages need from the browser: cookies (sign-in, sign-out) and the device's memory.
window.commitments = {
  // Signs in through the API (which sets the HttpOnly cookie); the caller reloads on success.
  async signIn(site, staff, pin) {
    let response;
    try {
      response = await fetch('/api/auth/pin', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ site, staff, pin }),
      });
    } catch {
      return { ok: false, status: 0, detail: 'No connection. Check the network and try again.', errors: null };
    }
    if (response.ok) {
      return { ok: true, status: response.status, detail: null, errors: null };
    }
    let problem = {};
    try { problem = await response.json(); } catch { }
    return { ok: false, status: response.status, detail: problem.detail || problem.title || 'Sign-in failed.', errors: problem.errors || null };
  },

  go(url) { window.location.replace(url); },

  async switchPerson() {
    try {
      await fetch('/api/auth/signout', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' } });
    } finally {
      window.location.replace('/signin');
    }
  },

  // Drafts: what was typed survives a dropped connection or a reload on this device.
  saveDraft(key, value) { try { localStorage.setItem('commitments.draft.' + key, value); } catch { } },
  loadDraft(key) { try { return localStorage.getItem('commitments.draft.' + key); } catch { return null; } },
  clearDraft(key) { try { localStorage.removeItem('commitments.draft.' + key); } catch { } },
};

// A page whose server went away (a host of the cluster stopped or died) cannot resume its circuit on
// another host, which rejects it: the page loads again at once (the balancer sends it to a live host),
// and the drafts bring back what was typed. The banner said what was happening meanwhile.
(() => {
  const modal = document.getElementById('components-reconnect-modal');
  if (!modal) return;
  new MutationObserver(() => {
    if (modal.classList.contains('components-reconnect-rejected') || modal.classList.contains('components-reconnect-resume-failed')) {
      window.location.reload();
    }
  }).observe(modal, { attributes: true, attributeFilter: ['class'] });
})();
