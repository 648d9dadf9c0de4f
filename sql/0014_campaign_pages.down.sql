CREATE INDEX leads_campaign ON leads (campaign_link_id)
	WHERE campaign_link_id IS NOT NULL;
DROP INDEX leads_campaign_by_id;
