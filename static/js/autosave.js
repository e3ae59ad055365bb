// Saves a rating form in the background a moment after the person stops typing.
// One save runs at a time, so each sends the version the last one returned. The
// server answers 409 when someone else saved the element first: the form is then
// sent normally, and the page comes back with their version, a message and what
// this person had typed, so nothing is overwritten or lost silently.
const DELAY_MS = 1500

for (const form of document.querySelectorAll('form[data-autosave]')) {
  const status = form.querySelector('[data-autosave-status]')
  const version = form.querySelector('input[name="version"]')
  let timer = null
  let inFlight = false
  let again = false // a change came in while a save was running
  let offline = false

  const say = (text) => { if (status) status.textContent = text }

  const send = async () => {
    say(form.dataset.msgSaving)
    // getAttribute: a field named "action" would shadow form.action.
    const response = await fetch(form.getAttribute('action') || window.location.href, {
      method: 'POST',
      body: new FormData(form),
      headers: { Accept: 'application/json' },
      credentials: 'same-origin'
    })
    if (response.status === 409) {
      form.submit()
      return
    }
    if (!response.ok) {
      say(form.dataset.msgFailed)
      return
    }
    const data = await response.json()
    version.value = data.version
    say(`${form.dataset.msgSaved} ${new Date(data.saved_at).toLocaleTimeString()}`)
  }

  const save = async () => {
    if (inFlight) {
      again = true
      return
    }
    inFlight = true
    again = false
    try {
      await send()
      offline = false
    } catch (error) {
      offline = true
      say(form.dataset.msgOffline)
    } finally {
      inFlight = false
    }
    if (again && !offline) save()
  }

  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(save, DELAY_MS)
  }

  form.addEventListener('input', schedule)
  form.addEventListener('change', schedule)
  window.addEventListener('online', () => { if (offline) save() })
}
