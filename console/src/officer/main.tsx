/** Entry point of the officer app bundle (/app/); the service worker makes it installable and keeps its shell for a bad network. */
import '../styles.css';
import './officer.css';
import { render } from 'preact';
import { OfficerApp } from './app';

render(<OfficerApp />, document.getElementById('app')!);

if ('serviceWorker' in navigator) void navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => undefined);
