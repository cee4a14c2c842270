// The console page: sign-in, integrations, Slack connect/reconnect, notification channel,
// test messages with their delivery states, and the dashboard. Everything it keeps is in
// this tab's sessionStorage, cleared on sign-out.
import { ApiError, client, jwtTeam } from '/console/api.js';

const $ = (id) => document.getElementById(id);
const session = {
  get: (key) => sessionStorage.getItem(`switchboard.${key}`) || '',
  set: (key, value) => sessionStorage.setItem(`switchboard.${key}`, value),
};
const FINAL_STATES = new Set(['SENT', 'FAILED', 'CANCELLED']);
const DASHBOARD = [
  ['totalIntegrations', 'Integrations'],
  ['activeIntegrations', 'Active'],
  ['healthyIntegrations', 'Healthy'],
  ['configuredChannels', 'Channels set'],
  ['messagesLast24h', 'Messages (24 h)'],
  ['repliesLast24h', 'Replies (24 h)'],
  ['threadsLast24h', 'Threads (24 h)'],
  ['duplicateConnectionAttemptsLast24h', 'Duplicate connects (24 h)'],
  ['queuedDeliveries', 'Queued deliveries'],
];

let api = null;
let pendingReconnect = null; // ReconnectDetails of the last duplicate install
let searchTimer = 0;
let searchSeq = 0; // only the latest search's answer is shown

const shortEnum = (value, prefix) => String(value || '').replace(prefix, '');

function say(text) {
  $('status').textContent = text;
}

function showError(what, err) {
  const box = $('error');
  box.textContent = `${what} failed: ${err instanceof ApiError ? err.toString() : err.message || err}`;
  box.hidden = false;
  say('');
}

// Runs one user action: clears the last error, reports a failure with its reason.
async function run(what, action) {
  $('error').hidden = true;
  try {
    await action();
  } catch (err) {
    showError(what, err);
  }
}

function badge(text) {
  const span = document.createElement('span');
  span.className = `badge badge-${text}`;
  span.textContent = text;
  return span;
}

function cell(row, content) {
  const td = row.insertCell();
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  return td;
}

function code(text) {
  const c = document.createElement('code');
  c.textContent = text;
  return c;
}

// --- sign-in -------------------------------------------------------------------------

function showSignedIn() {
  const credential = session.get('credential');
  const signedIn = Boolean(credential);
  api = signedIn ? client(credential) : null;
  $('sign-in').hidden = signedIn;
  $('signed-in').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('who').hidden = !signedIn;
  if (signedIn) {
    const kind = jwtTeam(credential) ? 'team JWT' : 'service key';
    $('who').textContent = `Team ${session.get('teamId')} · ${kind}`;
  }
  return signedIn;
}

// The credential is kept only once the service has accepted it for the team.
$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run('Sign-in', async () => {
    const credential = $('credential').value.trim();
    const teamId = jwtTeam(credential) || $('team-id').value.trim();
    if (!teamId) {
      $('team-id').focus();
      throw new Error('a service key needs the team id to work on');
    }
    await client(credential).listIntegrations(teamId);
    session.set('credential', credential);
    session.set('teamId', teamId);
    $('credential').value = '';
    showSignedIn();
    say(`Signed in for team ${teamId}.`);
    await refresh();
  });
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.clear();
  pendingReconnect = null;
  showSignedIn();
  $('working').hidden = true;
  $('duplicate').hidden = true;
  say('Signed out.');
  $('credential').focus();
});

// --- integrations and dashboard ------------------------------------------------------

async function refresh() {
  await run('Loading the integrations', async () => {
    const teamId = session.get('teamId');
    const [list, stats] = await Promise.all([api.listIntegrations(teamId), api.dashboard(teamId)]);
    renderIntegrations(list.integrations || []);
    renderDashboard(stats);
  });
}

function renderDashboard(stats) {
  const dl = $('dashboard');
  dl.replaceChildren(
    ...DASHBOARD.map(([field, label]) => {
      const div = document.createElement('div');
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = label;
      dd.textContent = String(stats[field] ?? 0);
      dd.dataset.field = field;
      div.append(dt, dd);
      return div;
    }),
  );
}

function renderIntegrations(integrations) {
  const working = session.get('integrationId');
  const body = $('integrations').tBodies[0];
  body.replaceChildren();
  $('no-integrations').hidden = integrations.length > 0;
  for (const integration of integrations) {
    const row = body.insertRow();
    row.dataset.id = integration.id;
    if (integration.id === working) row.setAttribute('aria-current', 'true');
    cell(row, integration.name || integration.slackWorkspace?.name || integration.id);
    const status = shortEnum(integration.status, 'INTEGRATION_STATUS_');
    const statusCell = cell(row, badge(status));
    if (integration.statusReason) statusCell.append(' ', integration.statusReason);
    const channel = integration.notificationChannel?.channelName;
    cell(row, channel ? `#${channel}` : 'none');
    cell(row, code(integration.id));
    const use = document.createElement('button');
    use.type = 'button';
    use.textContent = integration.id === working ? 'Selected' : 'Select';
    use.setAttribute('aria-pressed', String(integration.id === working));
    use.setAttribute('aria-label', `Select ${integration.name || integration.id}`);
    use.addEventListener('click', () => selectIntegration(integration));
    cell(row, use);
  }
  const current = integrations.find((i) => i.id === working);
  if (current) showWorking(current);
  else $('working').hidden = true;
}

function selectIntegration(integration) {
  session.set('integrationId', integration.id);
  say(`Working on ${integration.name || integration.id}.`);
  refresh();
}

function showWorking(integration) {
  const first = $('working').hidden || $('working').dataset.id !== integration.id;
  $('working').hidden = false;
  $('working').dataset.id = integration.id;
  $('working-name').textContent = integration.name || integration.id;
  if (first) searchChannels();
}

// --- Slack OAuth: connect, complete on the callback, reconnect a duplicate -------------

$('connect').addEventListener('click', () =>
  run('Connect Slack', async () => {
    const start = await api.startSlackOAuth(session.get('teamId'));
    say('Opening Slack to approve the app…');
    window.location.assign(start.authorizeUrl);
  }),
);

async function completeOAuth(params) {
  window.history.replaceState(null, '', '/console/');
  if (params.get('error')) {
    showError('Connect Slack', new Error(`Slack answered ${params.get('error')}`));
    return;
  }
  say('Completing the Slack connection…');
  await run('Connect Slack', async () => {
    try {
      const integration = await api.completeSlackOAuth(params.get('code'), params.get('state'));
      session.set('integrationId', integration.id);
      say(`Connected ${integration.name || integration.id}.`);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.reconnect) throw err;
      showDuplicate(err.reconnect);
    }
  });
}

function showDuplicate(details) {
  pendingReconnect = details;
  const existing = details.existingIntegration || {};
  $('duplicate-text').textContent =
    `This workspace is already connected as ${existing.name || existing.id} (${existing.id}, ` +
    `${shortEnum(existing.status, 'INTEGRATION_STATUS_')}). Reconnect it to apply the new authorization.`;
  $('duplicate').hidden = false;
  say('Already connected: reconnect to apply the new authorization.');
  $('reconnect').focus();
}

$('reconnect').addEventListener('click', () =>
  run('Reconnect', async () => {
    const existing = pendingReconnect.existingIntegration;
    const integration = await api.reconnect(existing.id, pendingReconnect.reconnectToken);
    pendingReconnect = null;
    $('duplicate').hidden = true;
    session.set('integrationId', integration.id);
    say(`Reconnected ${integration.name || integration.id} (reconnect #${integration.reconnectCount}).`);
    await refresh();
  }),
);

// --- notification channel ------------------------------------------------------------

// The search runs in the background (on typing, and when an integration is first shown),
// so it reports in its own line beside the list: the page status and error box belong to
// the user's last action, which a late search answer must not overwrite.
function searchChannels() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const query = $('channel-query').value.trim().replace(/^#/, '');
    const seq = ++searchSeq;
    const found = $('channels-found');
    try {
      const { channels = [] } = await api.listChannels(session.get('integrationId'), query);
      if (seq !== searchSeq) return;
      renderChannels(channels);
      $('channels').dataset.query = query;
      found.textContent = `${channels.length} channel${channels.length === 1 ? '' : 's'} found.`;
    } catch (err) {
      if (seq !== searchSeq) return;
      found.textContent = `Searching the channels failed: ${err instanceof ApiError ? err.toString() : err.message || err}`;
    }
  }, 200);
}

function renderChannels(channels) {
  const box = $('channels');
  box.replaceChildren(
    ...channels.map((channel) => {
      const label = document.createElement('label');
      const radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = 'channel';
      radio.value = channel.id;
      radio.dataset.name = channel.name;
      const hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = channel.purpose || '';
      label.append(radio, `#${channel.name}`, hint);
      return label;
    }),
  );
  if (!channels.length) box.textContent = 'No channel matches.';
}

$('channel-query').addEventListener('input', searchChannels);

$('channel-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run('Setting the notification channel', async () => {
    const chosen = $('channels').querySelector('input[name=channel]:checked');
    if (!chosen) throw new Error('choose a channel first');
    await api.setNotificationChannel(session.get('integrationId'), chosen.value);
    say(`Notification channel set to #${chosen.dataset.name}.`);
    await refresh();
  });
});

// --- test message, reply, delivery states --------------------------------------------

$('message-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run('Sending the test message', async () => {
    const delivery = await api.sendMessage(session.get('integrationId'), $('message-text').value);
    session.set('parentMessageId', delivery.internalMessageId);
    $('reply-button').disabled = false;
    track('Test message', delivery);
  });
});

$('reply-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run('Sending the reply', async () => {
    const parent = session.get('parentMessageId');
    const delivery = await api.reply(session.get('integrationId'), parent, $('reply-text').value);
    track('Reply', delivery);
  });
});

// Adds the delivery to the table and polls it until it is final.
async function track(kind, delivery) {
  const row = $('deliveries').tBodies[0].insertRow();
  row.dataset.delivery = delivery.id;
  row.dataset.kind = kind;
  cell(row, kind);
  cell(row, code(delivery.internalMessageId));
  const stateCell = cell(row, '');
  const attemptsCell = cell(row, '');
  const errorCell = cell(row, '');
  const show = (d) => {
    const state = shortEnum(d.state, 'DELIVERY_STATE_');
    stateCell.replaceChildren(badge(state));
    row.dataset.state = state;
    attemptsCell.textContent = String(d.attempts ?? 0);
    errorCell.textContent = d.lastError || '';
    return state;
  };
  let state = show(delivery);
  say(`${kind}: ${state}.`);
  await run(`Watching the ${kind.toLowerCase()}`, async () => {
    while (!FINAL_STATES.has(state)) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const next = show(await api.getDelivery(delivery.id));
      if (next !== state) say(`${kind}: ${next}.`);
      state = next;
    }
  });
  await refresh();
}

// --- start ---------------------------------------------------------------------------

const params = new URLSearchParams(window.location.search);
if (showSignedIn()) {
  if (window.location.pathname.endsWith('/oauth/callback')) await completeOAuth(params);
  await refresh();
} else if (window.location.pathname.endsWith('/oauth/callback')) {
  showError('Connect Slack', new Error('signed out before the Slack connection completed: sign in and connect again'));
  window.history.replaceState(null, '', '/console/');
}
