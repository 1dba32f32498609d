# ruff: noqa: E501 (the SQL as users ran it, line for line)
"""The tables as users created them by hand in Supabase's SQL editor, from the
earlier product's notes: ``sessions`` (customer_id still BIGINT), ``ai_sessions`` and
``ai_interactions`` (TIMESTAMP without time zone), and ``user_sessions`` with its
indexes, row-level-security policies, trigger, helper functions, summary view and
grants. ``auth`` is the stand-in of tests/supabase_stand_in.py."""

SESSIONS = """
CREATE TABLE sessions (
  session_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id BIGINT NOT NULL,
  phone TEXT NOT NULL,
  channel TEXT,
  session_token TEXT UNIQUE,
  status TEXT,
  created_at TIMESTAMPTZ,
  last_activity TIMESTAMPTZ,
  expires_at TIMESTAMPTZ,
  metadata JSONB
)
"""

AI_TABLES = """
CREATE TABLE ai_sessions (
    id UUID PRIMARY KEY,
    user_id VARCHAR(100),
    created_at TIMESTAMP,
    updated_at TIMESTAMP
);
CREATE TABLE ai_interactions (
    id UUID PRIMARY KEY,
    session_id UUID NOT NULL
        REFERENCES ai_sessions(id),
    prompt TEXT NOT NULL,
    response TEXT NOT NULL,
    model_used VARCHAR(50),
    tokens_used INTEGER,
    created_at TIMESTAMP
)
"""

USER_SESSIONS = """
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TABLE IF NOT EXISTS user_sessions (
  id UUID DEFAULT uuid_generate_v4() PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL UNIQUE,
  platform TEXT NOT NULL CHECK (platform IN ('web', 'ios-external', 'ios-internal', 'ios-widget', 'macos-internal')),
  started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  last_activity_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  ended_at TIMESTAMPTZ NULL,
  device_info JSONB NOT NULL DEFAULT '{}',
  location_info JSONB DEFAULT '{}',
  user_agent TEXT,
  ip_address INET,
  total_duration_seconds INTEGER DEFAULT 0,
  activity_count INTEGER DEFAULT 0,
  last_heartbeat_at TIMESTAMPTZ DEFAULT NOW(),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'idle', 'ended', 'timeout')),
  end_reason TEXT CHECK (end_reason IN ('logout', 'timeout', 'manual', 'app_close', 'crash')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_user_sessions_user_id ON user_sessions(user_id);
CREATE INDEX IF NOT EXISTS idx_user_sessions_session_id ON user_sessions(session_id);
CREATE INDEX IF NOT EXISTS idx_user_sessions_platform ON user_sessions(platform);
CREATE INDEX IF NOT EXISTS idx_user_sessions_status ON user_sessions(status);
CREATE INDEX IF NOT EXISTS idx_user_sessions_started_at ON user_sessions(started_at);
CREATE INDEX IF NOT EXISTS idx_user_sessions_last_activity ON user_sessions(last_activity_at);
CREATE INDEX IF NOT EXISTS idx_user_sessions_active ON user_sessions(user_id, status) WHERE status = 'active';
ALTER TABLE user_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view their own sessions" ON user_sessions
  FOR SELECT USING (auth.uid() = user_id OR auth.role() = 'service_role');
CREATE POLICY "Users can create their own sessions" ON user_sessions
  FOR INSERT WITH CHECK (auth.uid() = user_id OR auth.role() = 'service_role');
CREATE POLICY "Users can update their own sessions" ON user_sessions
  FOR UPDATE USING (auth.uid() = user_id OR auth.role() = 'service_role');
CREATE POLICY "Service role can manage all sessions" ON user_sessions
  FOR ALL USING (auth.role() = 'service_role');
CREATE OR REPLACE FUNCTION update_user_sessions_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
  NEW.updated_at = NOW();
  RETURN NEW;
END;
$$ language 'plpgsql';
CREATE TRIGGER update_user_sessions_updated_at
  BEFORE UPDATE ON user_sessions
  FOR EACH ROW EXECUTE FUNCTION update_user_sessions_updated_at_column();
CREATE OR REPLACE VIEW active_sessions_summary AS
SELECT platform, COUNT(*) as active_count, MIN(started_at) as oldest_session,
       MAX(last_activity_at) as latest_activity
FROM user_sessions WHERE status = 'active' GROUP BY platform;
GRANT SELECT ON active_sessions_summary TO authenticated;
GRANT SELECT ON user_sessions TO authenticated
"""
