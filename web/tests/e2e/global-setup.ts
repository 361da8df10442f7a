import { startServer } from './server';

export default async function globalSetup() {
  const state = await startServer();
  process.env.SOUS_E2E_BASE_URL = state.baseURL;
}
