WITH b AS 
(INSERT INTO berichten (referentienummer, afzender, ontvanger, conversatie_referentienummer, cross_referentienummer, berichttype, module, versie, envelop_hash, status, ontvangen_op, verloopt_op, grootte) VALUES (%(referentienummer)s::VARCHAR, %(afzender)s::VARCHAR, %(ontvanger)s::VARCHAR, %(conversatie_referentienummer)s::VARCHAR, %(cross_referentienummer)s::VARCHAR, %(berichttype)s::VARCHAR, %(module)s::VARCHAR, %(versie)s::VARCHAR, %(envelop_hash)s::VARCHAR, %(status)s::VARCHAR, %(ontvangen_op)s::TIMESTAMP WITH TIME ZONE, %(verloopt_op)s::TIMESTAMP WITH TIME ZONE, %(grootte)s::BIGINT) ON CONFLICT (referentienummer) DO NOTHING RETURNING berichten.id), 
i AS 
(INSERT INTO berichtinhoud (bericht_id, jwe) SELECT b.id AS id, %(jwe)s::VARCHAR AS anon_1 
FROM b), 
a AS 
(INSERT INTO auditregels (tijd, actor, actie, berichttype, module, afzender, ontvanger, referentienummer, deelnemer, certificaat, uitkomst) SELECT %(a_tijd)s::TIMESTAMP WITH TIME ZONE AS anon_2, %(a_actor)s::VARCHAR AS anon_3, %(a_actie)s::VARCHAR AS anon_4, %(a_berichttype)s::VARCHAR AS anon_5, %(a_module)s::VARCHAR AS anon_6, %(a_afzender)s::VARCHAR AS anon_7, %(a_ontvanger)s::VARCHAR AS anon_8, %(a_referentienummer)s::VARCHAR AS anon_9, %(a_deelnemer)s::VARCHAR AS anon_10, %(a_certificaat)s::VARCHAR AS anon_11, %(a_uitkomst)s::VARCHAR AS anon_12 
WHERE EXISTS (SELECT b.id 
FROM b)), 
c AS 
(INSERT INTO conversaties (conversatie_referentienummer, shv, aangemaakt_op) SELECT %(conversatie_referentienummer)s::VARCHAR AS anon_13, %(afzender)s::VARCHAR AS anon_14, %(ontvangen_op)s::TIMESTAMP WITH TIME ZONE AS anon_15 
WHERE EXISTS (SELECT b.id 
FROM b) ON CONFLICT (conversatie_referentienummer) DO NOTHING RETURNING conversaties.shv), 
q AS 
(INSERT INTO inboxbezetting (ontvanger, afzender, bytes, aantal) SELECT %(ontvanger)s::VARCHAR AS anon_16, %(afzender)s::VARCHAR AS anon_17, %(grootte)s::BIGINT AS anon_18, %(param_1)s::BIGINT AS anon_19 
WHERE EXISTS (SELECT b.id 
FROM b) ON CONFLICT (ontvanger, afzender) DO UPDATE SET bytes = (inboxbezetting.bytes + excluded.bytes), aantal = (inboxbezetting.aantal + excluded.aantal))
 SELECT b.id, (SELECT c.shv 
FROM c) AS geclaimd 
FROM b